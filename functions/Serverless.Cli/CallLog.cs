using Microsoft.Extensions.Logging;

namespace Serverless.Cli;

/// <summary>
/// The deployer's log for a person at a terminal (<c>-v</c>): one line per mutating AWS call on stderr — operation,
/// resource, ARN, the field changes as <c>field: before → after</c>, AWS's request id — and failed calls the same
/// way with their error. Without <c>-v</c> nothing is written.
/// </summary>
internal sealed class CallLog(TextWriter errors, bool verbose) : ILogger
{
    /// <summary>The prefix of every line.</summary>
    public const string Prefix = "aws call: ";

    /// <summary>The prefix of the line that closes each group's reconcile (its result and phase timings).</summary>
    public const string ReconcilePrefix = "reconcile: ";

    // The deployer's events for a mutating call that succeeded or failed.
    private static readonly HashSet<string> CallEvents = new(StringComparer.Ordinal) { "AwsCall", "AwsCallFailed" };

    private readonly Lock _gate = new();

    /// <summary>The deployer's logger for <paramref name="options"/>.</summary>
    public static ILogger For(CliOptions options, TextWriter errors) => new CallLog(errors, options.Verbose);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => verbose && logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        if (!IsEnabled(logLevel) || eventId.Name is not { } name || !(CallEvents.Contains(name) || name == "Reconciled"))
            return;
        var line = (name == "Reconciled" ? ReconcilePrefix : Prefix) + formatter(state, exception);
        lock (_gate)
            errors.WriteLine(line);
    }
}
