/* main's return value becomes the exit code of `salvo ppu-run` (tohost = (7 << 1) | 1). */
int main(void) { return 7; }
