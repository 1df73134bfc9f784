#!/usr/bin/env bash
# Builds the base image of our three service images, offline, from the JDK that runs the build:
#   a jlink runtime (the Java modules the services need) at /opt/java/openjdk, the shared libraries it and the
#   services' JNI libraries link against (copied from this machine, found with ldd), /etc/passwd with the user
#   rtdw (uid/gid UID), the C.UTF-8 locale, a world-writable /tmp and /var/lib/rtdw owned by UID (the streams app's state dir).
# Output: OUT_DIR/java-runtime.tar, a docker-archive image that Jib uses as its base (tar://). Jib sets the user,
# entrypoint, ports and labels of the service images on top (parent pom, jib-maven-plugin).
# Rebuilt only when this script or the JDK changes (OUT_DIR/stamp); a second caller reuses the tarball.
#
# Usage: java-runtime.sh JAVA_HOME OUT_DIR UID   (the parent pom passes ${java.home} and ${rtdw.image.user})
set -euo pipefail

java_home=$1
out=$2
uid=$3
runtime=/opt/java/openjdk
# The Java modules the services use: jdeps -s over the runtime class paths of streams-app, cdc-sources and
# lake-sink (java.desktop only for java.beans; its AWT libraries never load, so their shared libraries are left
# out), plus jdk.crypto.ec (TLS; found by service loading, invisible to jdeps) and jdk.jfr (flight recordings).
modules=java.base,java.compiler,java.desktop,java.logging,java.management,java.naming,java.net.http
modules=$modules,java.security.jgss,java.security.sasl,java.sql,java.transaction.xa,java.xml
modules=$modules,jdk.crypto.ec,jdk.httpserver,jdk.jfr,jdk.management,jdk.unsupported
# Loaded at run time by JNI libraries the services unpack from their jars (RocksDB, zstd-jni): glibc's stubs.
jni_libs="libpthread.so.0 librt.so.1 libdl.so.2"

[[ -d $java_home/jmods ]] || { echo "java-runtime.sh: $java_home/jmods missing: jlink needs a JDK with jmods" >&2; exit 1; }
mkdir -p "$out"
exec 9>"$out/lock"
flock 9

key="$(sha256sum "$0" | cut -d' ' -f1) $uid $java_home $("$java_home/bin/java" -version 2>&1 | tr '\n' ' ')"
if [[ -f $out/java-runtime.tar && -f $out/stamp && $(cat "$out/stamp") == "$key" ]]; then
  echo "java-runtime.sh: $out/java-runtime.tar is up to date"
  exit 0
fi
started=$(date +%s)
work=$out/work
rm -rf "$work" "$out/java-runtime.tar" "$out/stamp"
root=$work/rootfs
mkdir -p "$root$(dirname $runtime)"

"$java_home/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
  --compress=1 --output "$root$runtime"

# Shared libraries: every library an ELF file of the runtime links against (except the AWT ones), plus the JNI
# libraries' stubs, copied (symlinks resolved) to the path the dynamic loader found them at.
libdir=$(dirname "$(ldd "$java_home/bin/java" | awk '/libc\.so/ {print $3}')")
{
  find "$root$runtime" -type f \( -name '*.so' -o -perm -u+x \) \
    ! -name 'libawt*' ! -name 'libfontmanager.so' ! -name 'libjavajpeg.so' ! -name 'liblcms.so' \
    ! -name 'libmlib_image.so' ! -name 'libsplashscreen.so' ! -name 'libjawt.so' ! -name 'libjsound.so' \
    -exec ldd {} + 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'
  for lib in $jni_libs; do echo "$libdir/$lib"; done
} | sort -u | while read -r lib; do
  [[ $lib == "$root"* ]] && continue
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
if ldd "$root$runtime/bin/java" | grep -q 'not found'; then echo "java-runtime.sh: unresolved library" >&2; exit 1; fi

# LANG=C.UTF-8 needs glibc's locale files (Debian's libc-bin): without them Java 17 falls back to ASCII for its
# default charset and for file names (file.encoding, sun.jnu.encoding).
[[ -d /usr/lib/locale/C.utf8 ]] || { echo "java-runtime.sh: /usr/lib/locale/C.utf8 missing (Debian libc-bin)" >&2; exit 1; }
mkdir -p "$root/usr/lib/locale"
cp -r /usr/lib/locale/C.utf8 "$root/usr/lib/locale/"
mkdir -p "$root/etc" "$root/tmp" "$root/var/lib/rtdw/state"
chmod 1777 "$root/tmp"
printf 'root:x:0:0:root:/root:/sbin/nologin\nrtdw:x:%s:%s:rtdw:/var/lib/rtdw:/sbin/nologin\n' $uid $uid >"$root/etc/passwd"
printf 'root:x:0:\nrtdw:x:%s:\n' $uid >"$root/etc/group"
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"

# One layer, byte-for-byte reproducible: sorted names, fixed times, numeric owners (rtdw owns /var/lib/rtdw).
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$root" --exclude=./var/lib/rtdw -cf "$work/layer.tar" .
tar --sort=name --mtime=@0 --owner=$uid --group=$uid --numeric-owner -C "$root" -rf "$work/layer.tar" ./var/lib/rtdw
diff_id=sha256:$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
case $(uname -m) in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
settings=$("$java_home/bin/java" -XshowSettings:properties -version 2>&1)
java_version=$(awk -F' = ' '/java.runtime.version/ {print $2}' <<<"$settings")
java_feature=$(awk -F' = ' '/java.specification.version/ {print $2}' <<<"$settings")
cat >"$work/config.json" <<JSON
{"architecture":"$arch","os":"linux","created":"1970-01-01T00:00:00Z",
 "config":{"User":"$uid:$uid","Env":["PATH=$runtime/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","JAVA_HOME=$runtime","LANG=C.UTF-8"],
  "Labels":{"io.rtdw.java.runtime":"jlink $java_version"}},
 "rootfs":{"type":"layers","diff_ids":["$diff_id"]},
 "history":[{"created":"1970-01-01T00:00:00Z","created_by":"images/java-runtime.sh (jlink $java_version)"}]}
JSON
printf '[{"Config":"config.json","RepoTags":["rtdw/java-runtime:%s"],"Layers":["layer.tar"]}]\n' "$java_feature" >"$work/manifest.json"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work" -cf "$out/java-runtime.tar" manifest.json config.json layer.tar
rm -rf "$work"
echo "$key" >"$out/stamp"
echo "java-runtime.sh: $out/java-runtime.tar ($(du -m "$out/java-runtime.tar" | cut -f1) MB, Java $java_version) in $(( $(date +%s) - started )) s"
