"""salvo.info: `salvo info --json` as a dict."""
import pytest

import salvo


def test_info_mini():
    i = salvo.info("mini")
    assert i["name"] == "mini" and i["neurons"] == 32 and i["halves"] == 1
    assert i["synapses"] == 32 * 32 and i["correlation_sensors"] == 2 * 32 * 32
    assert i["bus_bandwidth_mevents_per_s"] == 4 * 125
    assert {r["what"] for r in i["memory_map"]} >= {"neuron parameter memory"}


def test_info_default_and_set():
    ref = salvo.info()
    assert ref["name"] == "reference" and ref["neurons"] > 32
    small = salvo.info("mini", set={"chip.neurons.per_half": 16})
    assert small["neurons"] == 16


def test_info_bad_chip():
    with pytest.raises(salvo.SalvoConfigError) as e:
        salvo.info("mini", set={"chip.neurons.per_half": "many"})
    assert e.value.exit_code == 2 and "per_half" in e.value.message
