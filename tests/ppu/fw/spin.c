/* Runs forever (until a debugger or the watchdog stops it). */
volatile unsigned counter;

int main(void) {
  for (;;) ++counter;
}
