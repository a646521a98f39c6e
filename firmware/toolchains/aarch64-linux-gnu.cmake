# Cross toolchain: aarch64 (arm64) Linux with Debian multiarch (no sysroot).
# The :arm64 -dev packages live in /usr/lib/aarch64-linux-gnu; tests run
# under qemu-user through CMAKE_CROSSCOMPILING_EMULATOR.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_IGNORE_PATH /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu
                      /usr/lib/x86_64-linux-gnu/cmake)
# Without this, pkg-config finds the x86-64 libcjson ("file in wrong format").
set(PKG_CONFIG_EXECUTABLE /usr/bin/aarch64-linux-gnu-pkg-config CACHE FILEPATH "")
# No -L: the cross package's loader in /usr/aarch64-linux-gnu does not match the
# multiarch libc6:arm64 and threads spin forever; the multiarch loader is in /lib.
set(CMAKE_CROSSCOMPILING_EMULATOR /usr/bin/qemu-aarch64)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
