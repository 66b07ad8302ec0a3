"""Replacement libraries for ns-3 DCE (``lib*-ns3.so``): plan, generate, build through cffi's
toolchain, verify, and run programs against them (see README, "elfdce shim build")."""
