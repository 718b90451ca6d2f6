/* main returns 256: the process must not exit 0 just because the OS keeps the low 8 bits. */
int main(void) { return 256; }
