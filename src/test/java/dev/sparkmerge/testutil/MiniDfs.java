package dev.sparkmerge.testutil;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/**
 * A one-DataNode MiniDFSCluster for tests, bound to loopback only (reference/spark-hadoop.md
 * §4.1), with a small block size so modest files span many blocks.
 */
public final class MiniDfs {
  private MiniDfs() {}

  /** Starts a cluster under {@code baseDir} and waits until it is up. */
  public static MiniDFSCluster start(File baseDir, long blockSize) throws IOException {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, baseDir.getAbsolutePath());
    conf.setLong("dfs.blocksize", blockSize);
    conf.setLong("dfs.namenode.fs-limits.min-block-size", 4096);
    conf.setInt("dfs.replication", 1);
    for (String key : new String[] {"dfs.namenode.http-address", "dfs.namenode.https-address",
        "dfs.datanode.address", "dfs.datanode.http.address", "dfs.datanode.https.address",
        "dfs.datanode.ipc.address"}) {
      conf.set(key, "127.0.0.1:0");
    }
    MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf, baseDir).numDataNodes(1).build();
    cluster.waitActive();
    if (!InetAddress.getByName(cluster.getURI().getHost()).isLoopbackAddress()) {
      cluster.shutdown(true);
      throw new IllegalStateException("NameNode must be on loopback: " + cluster.getURI());
    }
    return cluster;
  }
}
