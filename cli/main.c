/* lossforge command-line tool: dispatches to one cmd_* function per verb. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "lossforge: not built yet\n");
    return 1;
}
