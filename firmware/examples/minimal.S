# The smallest program that ends a ppu-run cleanly: write 1 (pass) to the HTIF tohost word.
    .section .text.init
    .globl _start
_start:
    li   t0, 1
    la   t1, tohost
    sw   t0, 0(t1)
1:  j    1b

    .section .tohost, "aw", @progbits
    .align 3
    .globl tohost
tohost: .dword 0
    .globl fromhost
fromhost: .dword 0
