package dev.sparkmerge.config;

import org.yaml.snakeyaml.nodes.Node;

/** A part of the config (a slice, a source) with its YAML node and key path, for messages. */
record Located<T>(T value, Node node, String path) {}
