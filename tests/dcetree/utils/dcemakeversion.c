/* The test tree's version-map tool: copies each prefix map to the map it starts (the real
 * ns-3-dce tool appends the host's nodes; the prepared tree replaces this step). */
#include <stdio.h>
#include <string.h>

int main (int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    {
      char out[4096];
      const char *p = strstr (argv[i], "-ns3.version");
      if (p == NULL || (size_t) (p - argv[i]) + 9 >= sizeof out)
        return 1;
      snprintf (out, sizeof out, "%.*s.version", (int) (p - argv[i]), argv[i]);
      FILE *in = fopen (argv[i], "r"), *o = fopen (out, "w");
      if (in == NULL || o == NULL)
        return 1;
      int c;
      while ((c = fgetc (in)) != EOF)
        fputc (c, o);
      fclose (in);
      fclose (o);
    }
  return 0;
}
