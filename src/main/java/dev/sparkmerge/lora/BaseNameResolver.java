package dev.sparkmerge.lora;

import dev.sparkmerge.checkpoint.HfModel;
import dev.sparkmerge.checkpoint.TensorLocation;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Finds the base checkpoint tensor for a name derived from an adapter key (reference §2.4), trying
 * in this order:
 *
 * <ol>
 *   <li>the exact name (through {@link HfModel#find}, so a tied {@code lm_head.weight} resolves to
 *       the input embedding it shares);
 *   <li>the fallbacks together: the name without its first segment (a GPT-2 checkpoint saved as
 *       {@code h.0...} while the module path is {@code transformer.h.0...}), and the name with one
 *       of the base's own first segments added (only a segment X the base uses as "X.F..." for
 *       the name's first segment F) (an adapter saved from a bare model, {@code
 *       layers.0...}, on a {@code model.layers.0...} checkpoint). Exactly one fallback may match;
 *       two are an ambiguity the user must resolve.
 * </ol>
 *
 * An exact match wins over fallbacks: the name then is literally the module path PEFT used.
 */
final class BaseNameResolver {
  /** The outcome of one lookup: the matched location (or null), and every name tried. */
  static final class Result {
    final TensorLocation location;
    final String matchedName;
    final List<String> tried;
    final List<String> ambiguous;

    Result(TensorLocation location, String matchedName, List<String> tried,
        List<String> ambiguous) {
      this.location = location;
      this.matchedName = matchedName;
      this.tried = tried;
      this.ambiguous = ambiguous;
    }
  }

  private final HfModel base;
  private final TreeSet<String> firstSegments = new TreeSet<>();
  /** "X.Y" for the first two segments of every base name: which prefixes X can precede Y. */
  private final Set<String> firstTwoSegments = new HashSet<>();

  BaseNameResolver(HfModel base) {
    this.base = base;
    for (String name : base.tensors().keySet()) {
      int dot = name.indexOf('.');
      if (dot > 0) {
        firstSegments.add(name.substring(0, dot));
        int second = name.indexOf('.', dot + 1);
        if (second > 0) {
          firstTwoSegments.add(name.substring(0, second));
        }
      }
    }
  }

  /** Resolves a full tensor name (module path + ".weight", or a full tensor's key). */
  Result resolve(String name, boolean allowTiedAlias) {
    List<String> tried = new ArrayList<>();
    tried.add(name);
    TensorLocation exact = allowTiedAlias ? base.find(name) : base.tensors().get(name);
    if (exact != null) {
      return new Result(exact, name, tried, List.of());
    }
    List<String> candidates = new ArrayList<>();
    int dot = name.indexOf('.');
    if (dot > 0 && name.indexOf('.', dot + 1) > 0) {
      candidates.add(name.substring(dot + 1));
    }
    String first = dot > 0 ? name.substring(0, dot) : name;
    for (String seg : firstSegments) {
      // Only prefixes the base actually puts in front of this name's first segment.
      if (!seg.equals(first) && firstTwoSegments.contains(seg + "." + first)) {
        candidates.add(seg + "." + name);
      }
    }
    List<String> hits = new ArrayList<>();
    TensorLocation found = null;
    String foundName = null;
    for (String c : candidates) {
      tried.add(c);
      TensorLocation loc = base.tensors().get(c);
      if (loc != null) {
        hits.add(c);
        found = loc;
        foundName = c;
      }
    }
    if (hits.size() == 1) {
      return new Result(found, foundName, tried, List.of());
    }
    return new Result(null, null, tried, hits);
  }

  /** Up to three base tensors ending like {@code name}'s last two segments, as a hint. */
  List<String> similar(String name) {
    String[] parts = name.split("\\.");
    String tail = parts.length >= 2
        ? "." + parts[parts.length - 2] + "." + parts[parts.length - 1]
        : "." + name;
    List<String> out = new ArrayList<>();
    for (String t : base.tensors().keySet()) {
      if (t.endsWith(tail) || t.equals(tail.substring(1))) {
        out.add(t);
        if (out.size() == 3) {
          break;
        }
      }
    }
    return out;
  }
}
