/** CPU execution support: the worker pool and fast kernels' building blocks. <b>Not API.</b> */
package dev.topiary.internal.cpu;
