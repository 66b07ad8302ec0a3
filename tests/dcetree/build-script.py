## elfdce's DCE-shaped test tree: the build protocol of ns-3-dce's wscript (a custom glibc
## assumed, dcemakeversion writing the maps, five replacement libraries linked -nostdlib from
## the same sources with a version script each, the simulator module filling their table),
## written for elfdce's tests. Stored as build-script.py; tests/test_dce_prepare.py copies it
## into a tree as wscript and runs waflib on it.

import os
import os.path

import ns3waf


def options(opt):
    opt.load('compiler_c')
    opt.load('compiler_cxx')
    opt.add_option('--with-glibc', help='the custom glibc', dest='with_glibc', default=None)


def configure(conf):

    conf.env.GLIBC_INSTALL_DIR = os.path.abspath(conf.options.with_glibc)

    if not os.path.exists(conf.env.GLIBC_INSTALL_DIR):
        conf.fatal('Custom glibc install directory does not exist: pass --with-glibc')

    conf.load('compiler_c')
    conf.load('compiler_cxx')
    conf.load('clang_compilation_database', tooldir=['waf-tools'])
    conf.check_cc(fragment='#include <stdlib.h>\nint main() {secure_getenv("test");}\n',
                  msg='Checking for glibc secure_getenv', define_name='HAVE_SECURE_GETENV',
                  mandatory=False)
    conf.env.append_value('CXXFLAGS', ['-std=c++11', '-fPIC'])


def build(bld):
    SYSROOT = bld.env.GLIBC_INSTALL_DIR
    extra_cflags_root = [
        '-L'+SYSROOT+'/usr/lib64',
        '-I'+SYSROOT+'/include',
        '--sysroot='+SYSROOT,
        '-Wl,--start-group',
        '-Wl,-rpath='+SYSROOT+'/lib64',
        '-Wl,--dynamic-linker='+SYSROOT+'/lib64/ld-2.31.so'
    ]
    wl_end_group = [
        '-Wl,--end-group'
    ]

    ns3waf.create_module(bld, name='dce',
                         source=['model/libc-dce.cc', 'model/dce-impl.cc', 'model/elf-cache.cc',
                                 'model/dce-manager.cc'],
                         cxxflags=extra_cflags_root + wl_end_group,
                         lib=['dl', 'pthread'])
    bld.program(source='programs/simulator.cc', target='bin/simulator', use='lib/ns3-dce',
                includes=['model'], lib=['dl', 'pthread'], linkflags=['-Wl,-rpath,$ORIGIN/../lib'])

    bld.add_group('dce_version_files')

    bld.program(source='utils/dcemakeversion.c',
                target='dcemakeversion', cflags=['-g'])

    bld(source=['dcemakeversion', 'model/libc-ns3.version', 'model/libpthread-ns3.version',
                'model/librt-ns3.version', 'model/libm-ns3.version', 'model/libdl-ns3.version'],
        target=['model/libc.version', 'model/libpthread.version', 'model/librt.version',
                'model/libm.version', 'model/libdl.version'],
        rule='${SRC[0].abspath()} ${SRC[1].abspath()} ${SRC[2].abspath()} ${SRC[3].abspath()} ${SRC[4].abspath()} ${SRC[5].abspath()}')

    bld.add_group('dce_use_version_files')

    libflags = ['-g', '-fno-builtin', '-fno-stack-protector', '-Wno-builtin-declaration-mismatch']
    bld.shlib(source=['model/libc.cc', 'model/libc-setup.cc', 'model/libc-global-variables.cc'],
              target='lib/c-ns3', includes=['model'],
              cxxflags=extra_cflags_root + libflags + wl_end_group,
              defines=['LIBSETUP=libc_setup'],
              linkflags=['-nostdlib',
                         '-Wl,--version-script=' + os.path.join('model', 'libc.version'),
                         '-Wl,-soname=libc.so.6'])
    bld.shlib(source=['model/libc.cc', 'model/libc-setup.cc'],
              target='lib/pthread-ns3', includes=['model'],
              cxxflags=extra_cflags_root + libflags + wl_end_group,
              defines=['LIBSETUP=libpthread_setup'],
              linkflags=['-nostdlib',
                         '-Wl,--version-script=' + os.path.join('model', 'libpthread.version'),
                         '-Wl,-soname=libpthread.so.0'])
    bld.shlib(source=['model/libc.cc', 'model/libc-setup.cc'],
              target='lib/rt-ns3', includes=['model'],
              cxxflags=extra_cflags_root + libflags + wl_end_group,
              defines=['LIBSETUP=librt_setup'],
              linkflags=['-nostdlib',
                         '-Wl,--version-script=' + os.path.join('model', 'librt.version'),
                         '-Wl,-soname=librt.so.1'])
    bld.shlib(source=['model/libc.cc', 'model/libc-setup.cc'],
              target='lib/m-ns3', includes=['model'],
              cxxflags=extra_cflags_root + libflags + wl_end_group,
              defines=['LIBSETUP=libm_setup'],
              linkflags=['-nostdlib',
                         '-Wl,--version-script=' + os.path.join('model', 'libm.version'),
                         '-Wl,-soname=libm.so.6'])
    bld.shlib(source=['model/libc.cc', 'model/libc-setup.cc'],
              target='lib/dl-ns3', includes=['model'],
              cxxflags=extra_cflags_root + libflags + wl_end_group,
              defines=['LIBSETUP=libdl_setup'],
              linkflags=['-nostdlib',
                         '-Wl,--version-script=' + os.path.join('model', 'libdl.version'),
                         '-Wl,-soname=libdl.so.2'])
