"""The package as installed: every module and data file ships."""

import configparser
import os

import setuptools

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_every_package_is_listed_in_setup_cfg():
    cfg = configparser.ConfigParser()
    cfg.read(os.path.join(ROOT, "setup.cfg"))
    listed = set(cfg["options"]["packages"].split())
    found = set(setuptools.find_packages(ROOT, include=["elfdce", "elfdce.*"]))
    assert found <= listed, f"add to setup.cfg [options] packages: {sorted(found - listed)}"
    assert "elfdce.versions" in listed  # versions/ (the NS3 prefix maps) ships as package data


def test_prefix_maps_exist_for_the_five_libraries():
    from elfdce.glibc.libs import FIVE
    from elfdce.versionmaps import default_prefix_dir

    d = default_prefix_dir()
    for lib in FIVE:
        text = open(os.path.join(d, lib.prefix_file)).read()
        assert text.startswith("NS3 {\nglobal:\n") and f"\t{lib.setup};\n" in text
