package dev.topiary.converter.ir;

import java.util.Arrays;

/** Small helpers over shapes given as {@code int[]} (−1 = unknown dimension). */
public final class Shapes {
  private Shapes() {}

  /** Element count, or −1 when a dimension is unknown or the count exceeds 2^31−1. */
  public static long count(int[] shape) {
    long n = 1;
    for (int d : shape) {
      if (d < 0) {
        return -1;
      }
      n *= d;
      if (n > Integer.MAX_VALUE) {
        return -1;
      }
    }
    return n;
  }

  public static boolean isKnown(int[] shape) {
    if (shape == null) {
      return false;
    }
    for (int d : shape) {
      if (d < 0) {
        return false;
      }
    }
    return true;
  }

  public static String format(int[] shape) {
    if (shape == null) {
      return "[?]";
    }
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < shape.length; i++) {
      sb.append(i == 0 ? "" : ",").append(shape[i] < 0 ? "?" : String.valueOf(shape[i]));
    }
    return sb.append(']').toString();
  }

  /** Row-major strides of {@code shape}. */
  public static int[] strides(int[] shape) {
    int[] s = new int[shape.length];
    int acc = 1;
    for (int i = shape.length - 1; i >= 0; i--) {
      s[i] = acc;
      acc *= shape[i];
    }
    return s;
  }

  /** NumPy broadcast of two shapes, or null when they do not broadcast. */
  public static int[] broadcast(int[] a, int[] b) {
    int r = Math.max(a.length, b.length);
    int[] out = new int[r];
    for (int i = 0; i < r; i++) {
      int da = i < r - a.length ? 1 : a[i - (r - a.length)];
      int db = i < r - b.length ? 1 : b[i - (r - b.length)];
      if (da == db || db == 1) {
        out[i] = da;
      } else if (da == 1) {
        out[i] = db;
      } else {
        return null;
      }
    }
    return out;
  }

  /** The permutation applied to a shape: output dim k is input dim perm[k]. */
  public static int[] permute(int[] shape, int[] perm) {
    int[] out = new int[perm.length];
    for (int k = 0; k < perm.length; k++) {
      out[k] = shape[perm[k]];
    }
    return out;
  }

  public static int[] inverse(int[] perm) {
    int[] inv = new int[perm.length];
    for (int k = 0; k < perm.length; k++) {
      inv[perm[k]] = k;
    }
    return inv;
  }

  /** True when {@code perm} is a permutation of 0..n−1. */
  public static boolean isPermutation(int[] perm, int n) {
    if (perm.length != n) {
      return false;
    }
    boolean[] seen = new boolean[n];
    for (int p : perm) {
      if (p < 0 || p >= n || seen[p]) {
        return false;
      }
      seen[p] = true;
    }
    return true;
  }

  public static boolean isIdentity(int[] perm) {
    for (int k = 0; k < perm.length; k++) {
      if (perm[k] != k) {
        return false;
      }
    }
    return true;
  }

  /** perm such that applying {@code first} then {@code second} equals applying it once. */
  public static int[] compose(int[] first, int[] second) {
    int[] out = new int[second.length];
    for (int k = 0; k < second.length; k++) {
      out[k] = first[second[k]];
    }
    return out;
  }

  public static int[] toInts(long[] v) {
    int[] out = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = (int) v[i];
    }
    return out;
  }

  public static long[] toLongs(int[] v) {
    long[] out = new long[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i];
    }
    return out;
  }

  public static int[] concat(int[] a, int[] b) {
    int[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
