/**
 * Topiary's implementation: artifact format, planner, kernels. <b>Not API</b>: anything under
 * {@code dev.topiary.internal} may change in any release. Use the types in {@link dev.topiary}.
 */
package dev.topiary.internal;
