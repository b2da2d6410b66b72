/**
 * The plan: a validated artifact turned into kernels in execution order, tensor storage and one
 * arena per storage class sized by a liveness-based memory planner. Built once per model at load
 * time, shared by all sessions, never stored. <b>Not API.</b>
 */
package dev.topiary.internal.plan;
