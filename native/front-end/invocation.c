/* The process's arguments and environment, which every part of the front-end reads (main.c sets
 * them at _start). */
#include "front-end.h"

struct invocation inv;
