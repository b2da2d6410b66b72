/**
 * Reading and writing the {@code .topiary} artifact (see {@code docs/FORMAT.md}). <b>Not API.</b>
 */
package dev.topiary.internal.format;
