package dev.sparkmerge.report;

/** A chart with the sentence under it that says how to read it and where the numbers come from. */
public record Figure(Chart chart, String caption) {}
