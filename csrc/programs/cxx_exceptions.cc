// A C++ program for `elfdce run`: an exception thrown in the program and caught by type,
// RTTI across the program and libstdc++, a static constructor and destructor, iostream numbers.
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <typeinfo>

struct Noisy
{
  Noisy () { std::cout << "constructed\n"; }
  ~Noisy () { std::cout << "destroyed\n"; }
} noisy;

static int thrower (int x)
{
  if (x > 1)
    throw std::out_of_range ("too big");
  return x;
}

int main (int argc, char **)
{
  try
    {
      thrower (argc + 1);
    }
  catch (const std::logic_error &e)
    {
      std::cout << "caught " << typeid (e).name () << ": " << e.what () << "\n";
    }
  std::ostringstream oss;
  oss << 42 << " " << 3.5;
  std::cout << oss.str () << (oss.fail () ? " failed" : " ok") << std::endl;
  return 0;
}
