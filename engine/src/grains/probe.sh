# converge's grains probe: key=value lines, then raw sections (@@name).
# Run on every host at every run: it starts three programs (uname, getent,
# ip), the rest is bash reading /proc, /sys and /etc. grep runs only on a
# host whose PID 1 is a plain /sbin/init, to tell sysvinit from upstart.
read -r kernel nodename kernelrelease cpuarch _ < <(uname -snrm)
printf 'kernel=%s\nnodename=%s\nkernelrelease=%s\ncpuarch=%s\n' "$kernel" "$nodename" "$kernelrelease" "$cpuarch"
{ read -r v < /proc/sys/kernel/version && printf 'kernelversion=%s\n' "$v"; } 2>/dev/null
n=0
if IFS=, read -ra cpus 2>/dev/null < /sys/devices/system/cpu/online; then
  for c in "${cpus[@]}"; do case $c in *-*) n=$((n + ${c#*-} - ${c%-*} + 1));; ?*) n=$((n + 1));; esac; done
fi
((n > 0)) || n=$(nproc 2>/dev/null || echo 1)
printf 'num_cpus=%s\n' "$n"
# init, as Salt's _linux_init_system decides it (which() without a subshell)
which() { REPLY=; case $1 in */*) [ -x "$1" ] && REPLY=$1; return;; esac
  local d IFS=:; for d in $PATH; do [ -x "$d/$1" ] && { REPLY=$d/$1; return; }; done; }
init=unknown
if [ -d /run/systemd/system ]; then init=systemd
elif [ -r /proc/1/cmdline ]; then
  mapfile -d '' words < /proc/1/cmdline
  which "${words[0]}"
  case $REPLY in
    */bin/init) bin=$REPLY; for i in upstart sysvinit systemd; do if grep -qai "$i" "$bin" 2>/dev/null; then init=$i; break; fi; done;;
    *) for p in supervisord dumb-init tini; do which $p; [ -n "$REPLY" ] && for x in "${words[@]}"; do [ "$x" = "$REPLY" ] && init=$p; done; done
       [ "${words[*]}" = runit ] && init=runit
       for x in "${words[@]}"; do [ "$x" = /sbin/my_init ] && init=runit; done;;
  esac
fi
printf 'init=%s\n' "$init"
printf 'uid=%s\ngid=%s\n' "$EUID" "${GROUPS[0]}"
while IFS=: read -r n _ u _; do if [ "$u" = "$EUID" ]; then printf 'username=%s\n' "$n"; break; fi; done < /etc/passwd
while IFS=: read -r n _ g _; do if [ "$g" = "${GROUPS[0]}" ]; then printf 'groupname=%s\n' "$n"; break; fi; done < /etc/group
printf 'shell=%s\npath=%s\n' "${SHELL:-/bin/sh}" "$PATH"
printf 'locale=%s\n' "${LC_ALL:-${LC_CTYPE:-${LANG:-$LANGUAGE}}}"
printf 'timezone=%(%Z)T\n' -1
{ read -r m < /etc/machine-id && printf 'machine_id=%s\n' "$m"; } 2>/dev/null
[ -e /.dockerenv ] && echo dockerenv=1
[ -e /run/.containerenv ] && echo containerenv=1
{ read -r c < /run/systemd/container && printf 'container=%s\n' "$c"; } 2>/dev/null
{ read -r c < /sys/class/dmi/id/product_name && printf 'dmi_product=%s\n' "$c"; } 2>/dev/null
{ read -r c < /sys/class/dmi/id/sys_vendor && printf 'dmi_vendor=%s\n' "$c"; } 2>/dev/null
{ read -r c < /sys/hypervisor/type && printf 'hypervisor=%s\n' "$c"; } 2>/dev/null
if command -v selinuxenabled >/dev/null 2>&1; then
  echo selinux_tools=1
  { read -r e < /sys/fs/selinux/enforce && printf 'selinux_enforce=%s\n' "$e"; } 2>/dev/null
fi
if command -v systemctl >/dev/null 2>&1; then
  for f in /usr/lib/systemd/libsystemd-shared-*.so /lib/systemd/libsystemd-shared-*.so /usr/lib/*/systemd/libsystemd-shared-*.so /usr/lib64/systemd/libsystemd-shared-*.so; do
    if [ -e "$f" ]; then f=${f##*-}; printf 'systemd_version=%s\n' "${f%.so}"; break; fi
  done
fi
[ -d /sys/firmware/efi ] && echo efi=1
[ -e /usr/sbin/transactional-update ] && echo transactional=1
# a file whole, in one read (a read loop costs a millisecond on /proc)
dump() { [ -r "$2" ] || return 0; local c; IFS= read -r -d '' -n "${3:-65536}" c < "$2"; printf '@@%s\n%s\n' "$1" "${c%$'\n'}"; }
dump os-release /etc/os-release
dump lsb-release /etc/lsb-release
dump resolv /etc/resolv.conf
dump cmdline /proc/cmdline
dump route /proc/net/route
dump route6 /proc/net/ipv6_route
dump cgroup /proc/1/cgroup
# the first processor's block holds the model and the flags
if [ -r /proc/cpuinfo ]; then IFS= read -r -d '' -n 16384 c < /proc/cpuinfo; printf '@@cpuinfo\n%s\n' "${c%%$'\n\n'*}"; fi
dump meminfo /proc/meminfo 2048
if command -v getent >/dev/null 2>&1; then echo @@getent; getent ahosts "$nodename" 2>/dev/null
else printf 'fqdn=%s\n' "$(hostname -f 2>/dev/null)"; fi
if command -v ip >/dev/null 2>&1; then echo @@ip; ip addr show 2>/dev/null
else echo @@hostname-i; hostname -I 2>/dev/null; fi
