/**
 * Operators: for each op type an {@link dev.topiary.internal.ops.OpFactory} that checks a node and
 * binds a {@link dev.topiary.internal.ops.Kernel}. Reference kernels are the oracle; fast kernels
 * sit beside them and are tested against them. <b>Not API.</b>
 */
package dev.topiary.internal.ops;
