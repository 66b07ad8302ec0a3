"""The test tree's stand-in for ns-3-dce's ns3waf: one helper, create_module."""


def create_module(bld, name, source, cxxflags=(), lib=(), **kw):
    """A shared library ``lib/ns3-<name>`` from ``source`` (as ns3waf builds DCE's module)."""
    return bld.shlib(source=source, target="lib/ns3-" + name,
                     cxxflags=list(cxxflags) + ["-fPIC"], lib=list(lib), includes=["model"],
                     **kw)
