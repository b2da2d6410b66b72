/**
 * The {@code topiary} command-line tool: one entry point ({@link dev.topiary.converter.cli.Main}),
 * one class per subcommand, and the small shared pieces every subcommand uses the same way: the
 * argument parser, exit codes, one-line error messages, text tables and the JSON writer.
 *
 * <p>Conventions (documented for users in {@code docs/CLI.md}): {@code --help} on every command;
 * errors are one line on stderr, {@code topiary: <message>}; exit 0 on success, 1 on a failure (bad
 * file, wrong input), 2 on a usage error; {@code --json} prints one object with a {@code schema} field.
 */
package dev.topiary.converter.cli;
