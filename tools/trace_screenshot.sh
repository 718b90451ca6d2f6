#!/bin/sh
# Renders a GTKWave screenshot of a `salvo run --trace` VCD headless (docs/processor.md):
#   tools/trace_screenshot.sh TRACE.vcd FROM_PS TO_PS OUT.png [SIGNAL...]
# Needs gtkwave, xvfb-run and xwd (Debian: gtkwave xvfb x11-apps) and Debian's python3.
set -eu
vcd=$1 from=$2 to=$3 out=$4
shift 4
signals=${*:-"chip.neuron0.v_mV chip.neuron0.spike chip.neuron3.v_mV chip.neuron3.spike chip.neuron7.spike chip.cadc0.busy chip.cadc0.row ppu0.state ppu0.pc chip.capmem.write chip.capmem.neuron chip.capmem.code"}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '[size] 1300 620\n[pos] 0 0\n[sst_width] 1\n[signals_width] 230\n[sst_expanded] 0\n' > "$tmp/s.gtkw"
{
  echo "gtkwave::addSignalsFromList [list $signals]"
  for s in $signals; do
    case $s in *v_mV)
      echo "gtkwave::/Edit/UnHighlight_All"
      echo "gtkwave::highlightSignalsFromList [list $s]"
      echo "gtkwave::/Edit/Data_Format/Analog/Interpolated"
      echo "gtkwave::/Edit/Insert_Analog_Height_Extension" ;;
    esac
  done
  echo "gtkwave::/Edit/UnHighlight_All"
  echo "gtkwave::setZoomRangeTimes $from $to"
} > "$tmp/shot.tcl"
xvfb-run -a -s "-screen 0 1300x620x24" sh -c \
  "gtkwave --rcvar 'hier_max_level 3' -S '$tmp/shot.tcl' '$vcd' '$tmp/s.gtkw' >'$tmp/gtkwave.log' 2>&1 &
   sleep 10; xwd -root -silent > '$tmp/shot.xwd'; kill \$!"
/usr/bin/python3 - "$tmp/shot.xwd" "$out" <<'PY'
import struct, sys
import numpy as np
import matplotlib.image as mpimg
d = open(sys.argv[1], "rb").read()
h = struct.unpack(">25I", d[:100])
w, hgt, order, bpl, ncolors = h[4], h[5], h[7], h[12], h[19]
px = np.frombuffer(d[h[0] + 12 * ncolors:][:bpl * hgt], dtype=np.uint8).reshape(hgt, bpl)
px = px[:, :4 * w].reshape(hgt, w, 4)
mpimg.imsave(sys.argv[2], np.ascontiguousarray(px[:, :, [2, 1, 0]] if order == 0 else px[:, :, [1, 2, 3]]))
PY
echo "$out"
