# Shared helpers for the scripts in this folder (sourced, not run).

# The JVM flags Spark needs on Java 17, read from their single home: the spark.jvm.flags property
# in pom.xml.
spark_jvm_flags() {
  sed -n 's:.*<spark.jvm.flags>\(.*\)</spark.jvm.flags>.*:\1:p' pom.xml
}
