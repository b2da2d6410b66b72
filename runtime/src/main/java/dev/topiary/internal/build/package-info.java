/** Building artifacts in code: used by the converter's exporter and by tests. <b>Not API.</b> */
package dev.topiary.internal.build;
