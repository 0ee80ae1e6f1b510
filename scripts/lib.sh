# Shared helpers for the scripts in this folder (sourced, not run).

# The JVM flags Spark needs on Java 17, read from their single home: the spark.jvm.flags property
# in pom.xml. Run from the project root.
spark_jvm_flags() {
  sed -n 's:.*<spark.jvm.flags>\(.*\)</spark.jvm.flags>.*:\1:p' pom.xml
}

# Compiles the project into target/classes and writes target/runtime.classpath (the compile
# classpath, which includes the `provided` Spark jars) unless both are newer than every source.
ensure_built() {
  local root="$1" stamp="$1/target/runtime.classpath"
  if [ -f "$stamp" ] && [ -z "$(find "$root/pom.xml" "$root/src/main" -newer "$stamp" -print -quit)" ]; then
    return 0
  fi
  echo "sparkmerge: building (first use or sources changed)..." >&2
  mkdir -p "$root/target"
  (cd "$root" && mvn -B -Dstyle.color=never -DskipTests compile dependency:build-classpath \
      -Dmdep.includeScope=compile -Dmdep.outputFile=target/runtime.classpath.tmp \
      > target/build.log 2>&1) || {
    tail -40 "$root/target/build.log" >&2
    echo "sparkmerge: the build failed; the full log is target/build.log." >&2
    exit 2
  }
  mv "$root/target/runtime.classpath.tmp" "$stamp"
}
