# Sourced by ./mvnw and ./sluice: make JAVA_HOME point at a JDK of release 21 or newer.
# Sluice targets Java 21; the default `java` on many machines is older (17 here).
# An explicit JAVA_HOME that is already new enough wins; otherwise the newest JDK found
# in the usual places is used.
sluice_java_release() {
  # prints the feature release of the JDK at $1 (e.g. 17, 21, 25), or nothing
  [ -x "$1/bin/javac" ] || return 0
  sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null
}
sluice_find_jdk() {
  if [ -n "${JAVA_HOME-}" ]; then
    r=$(sluice_java_release "$JAVA_HOME")
    [ -n "$r" ] && [ "$r" -ge 21 ] && return 0
  fi
  best="" best_r=0
  # callers may run with globbing off (mvnw uses set -f); restore their setting afterwards
  case $- in *f*) had_noglob=1 ;; *) had_noglob=0 ;; esac
  set +f
  for d in /usr/lib/jvm/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/*; do
    [ -d "$d" ] || continue
    r=$(sluice_java_release "$d")
    if [ -n "$r" ] && [ "$r" -ge 21 ] && [ "$r" -gt "$best_r" ]; then best=$d best_r=$r; fi
  done
  [ "$had_noglob" = 1 ] && set -f
  if [ -z "$best" ]; then
    echo "Sluice needs a JDK of release 21 or newer; none found (JAVA_HOME=${JAVA_HOME-unset})." >&2
    echo "Install one (for example 'apt-get install openjdk-21-jdk') or set JAVA_HOME to it." >&2
    return 1
  fi
  JAVA_HOME=$best
  export JAVA_HOME
}
sluice_find_jdk
