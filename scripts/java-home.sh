# Sourced by the project's scripts: points JAVA_HOME at a JDK >= 22 (the project builds with 25).
# Honors an existing JAVA_HOME when it is new enough. Sets JAVA_RUNTIME_VERSION (e.g. 25.0.3+9-LTS).
#
# Reads the JDK's `release` file with shell builtins: the launcher sources this on every start, and
# MCP clients start it once per session — starting a JVM to ask for the version cost 0.1-0.2 s.
java_release() { # JDK_DIR -> JAVA_MAJOR, JAVA_RUNTIME_VERSION (empty when unknown)
  local line
  JAVA_MAJOR=""
  JAVA_RUNTIME_VERSION=""
  [ -r "$1/release" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in
      JAVA_VERSION=*) JAVA_MAJOR="${line#JAVA_VERSION=\"}"; JAVA_MAJOR="${JAVA_MAJOR%%[.\"]*}" ;;
      JAVA_RUNTIME_VERSION=*) JAVA_RUNTIME_VERSION="${line#JAVA_RUNTIME_VERSION=\"}"; JAVA_RUNTIME_VERSION="${JAVA_RUNTIME_VERSION%\"}" ;;
    esac
  done < "$1/release"
  case "$JAVA_MAJOR" in *[!0-9]*|"") JAVA_MAJOR="" ;; esac
}
usable_jdk() {
  [ -x "$1/bin/javac" ] || return 1
  java_release "$1"
  if [ -z "$JAVA_MAJOR" ]; then # no release file: ask the JVM
    JAVA_MAJOR="$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
  fi
  [ "$JAVA_MAJOR" -ge 22 ] 2>/dev/null
}
if [ -z "${JAVA_HOME:-}" ] || ! usable_jdk "$JAVA_HOME"; then
  JAVA_HOME=""
  # The usual path first: the globs below read /usr/lib/jvm three times, which a start of the
  # launcher need not pay when that path holds the JDK.
  if usable_jdk /usr/lib/jvm/temurin-25-jdk-amd64; then
    JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
  else
    for candidate in /usr/lib/jvm/temurin-25* /usr/lib/jvm/*25* /usr/lib/jvm/*; do
      if usable_jdk "$candidate"; then
        JAVA_HOME="$candidate"
        break
      fi
    done
  fi
  if [ -z "$JAVA_HOME" ]; then
    echo "No JDK >= 22 found (looked in /usr/lib/jvm). Install Temurin 25 and set JAVA_HOME." >&2
    exit 1
  fi
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
