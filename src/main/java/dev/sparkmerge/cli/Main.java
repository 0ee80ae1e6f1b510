package dev.sparkmerge.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code sparkmerge} command line: one subcommand per task. */
@Command(name = "sparkmerge", mixinStandardHelpOptions = true, version = "sparkmerge 0.1.0",
    description = "Merge language models (mergekit methods, LoRA adapters) on Apache Spark.",
    subcommands = {RunCommand.class, PlanCommand.class, InspectCommand.class,
        VerifyCommand.class, DiffCommand.class, EvalCommand.class, ReportCommand.class})
public final class Main implements Runnable {
  /** Set SPARKMERGE_DEBUG=1 to see stack traces of unexpected errors. */
  private static final boolean DEBUG = System.getenv("SPARKMERGE_DEBUG") != null;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    System.exit(run(args, out, err));
  }

  /** Runs the CLI with the given streams and returns the exit code (0 ok, 1 bad input, 2 usage). */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cmd = new CommandLine(new Main());
    cmd.setOut(out);
    cmd.setErr(err);
    cmd.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
      String userError = UserErrors.message(ex);
      if (userError != null) {
        err.println("error: " + userError);
        if (DEBUG) {
          ex.printStackTrace(err);
        }
        return 1;
      }
      err.println("internal error: " + ex + (DEBUG ? "" : " (set SPARKMERGE_DEBUG=1 for details)"));
      if (DEBUG) {
        ex.printStackTrace(err);
      }
      return 3;
    });
    int code = cmd.execute(args);
    out.flush();
    err.flush();
    return code;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
