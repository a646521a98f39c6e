# Cross toolchain: armhf (32-bit ARM, hard float) Linux with Debian multiarch (no sysroot).
# The :armhf -dev packages live in /usr/lib/arm-linux-gnueabihf; tests run
# under qemu-user through CMAKE_CROSSCOMPILING_EMULATOR.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-linux-gnueabihf-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE arm-linux-gnueabihf)
set(CMAKE_IGNORE_PATH /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu
                      /usr/lib/x86_64-linux-gnu/cmake)
# Without this, pkg-config finds the x86-64 libcjson ("file in wrong format").
set(PKG_CONFIG_EXECUTABLE /usr/bin/arm-linux-gnueabihf-pkg-config CACHE FILEPATH "")
# No -L: the cross package's loader in /usr/arm-linux-gnueabihf does not match the
# multiarch libc6:armhf and threads crash; the multiarch loader is in /lib.
set(CMAKE_CROSSCOMPILING_EMULATOR /usr/bin/qemu-arm)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
