using System.Text;

namespace Serverless.Ingress.Tests.Golden;

/// <summary>
/// A readable line diff for test failures: hunks with line numbers on both sides and a few lines of context,
/// instead of two giant strings.
/// </summary>
public static class LineDiff
{
    /// <summary>
    /// The differences between <paramref name="expected"/> and <paramref name="actual"/> (empty when equal), as
    /// hunks of <c>-</c> (only in expected), <c>+</c> (only in actual) and context lines, each with its line
    /// number in expected and in actual. At most <paramref name="maxLines"/> lines are printed.
    /// </summary>
    public static string Format(string expected, string actual, int context = 3, int maxLines = 160)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        var a = Split(expected);
        var b = Split(actual);
        var edits = Edits(a, b);
        if (edits.All(static e => e.Kind == ' '))
            return string.Empty;

        var output = new StringBuilder();
        var printed = 0;
        var i = 0;
        while (i < edits.Count)
        {
            if (edits[i].Kind == ' ')
            {
                i++;
                continue;
            }
            // A hunk: from `context` lines before this change to `context` lines after the last change that is
            // at most 2*context lines away from the previous one.
            var start = Math.Max(0, i - context);
            var end = i;
            while (true)
            {
                var next = end + 1;
                while (next < edits.Count && edits[next].Kind == ' ')
                    next++;
                if (next < edits.Count && next - end <= 2 * context)
                    end = next;
                else
                    break;
            }
            var stop = Math.Min(edits.Count - 1, end + context);
            var first = edits[start];
            output.Append(System.Globalization.CultureInfo.InvariantCulture, $"@@ expected line {first.ExpectedLine}, actual line {first.ActualLine} @@\n");
            for (var k = start; k <= stop; k++)
            {
                var e = edits[k];
                var left = e.Kind == '+' ? string.Empty : e.ExpectedLine.ToString(System.Globalization.CultureInfo.InvariantCulture);
                var right = e.Kind == '-' ? string.Empty : e.ActualLine.ToString(System.Globalization.CultureInfo.InvariantCulture);
                output.Append(e.Kind).Append(' ').Append(left.PadLeft(5)).Append(' ').Append(right.PadLeft(5)).Append(" | ").Append(e.Text).Append('\n');
                if (++printed >= maxLines)
                {
                    output.Append("… (diff cut; regenerate with UPDATE_GOLDEN=1 and use git diff for the whole of it)\n");
                    return output.ToString();
                }
            }
            i = stop + 1;
        }
        return output.ToString();
    }

    private static string[] Split(string text) =>
        text.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');

    private readonly record struct Edit(char Kind, int ExpectedLine, int ActualLine, string Text);

    // Longest common subsequence over lines; fine for files of a few thousand lines.
    private static List<Edit> Edits(string[] a, string[] b)
    {
        var lcs = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
        {
            for (var j = b.Length - 1; j >= 0; j--)
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
        }
        var edits = new List<Edit>();
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y])
            {
                edits.Add(new Edit(' ', x + 1, y + 1, a[x]));
                x++;
                y++;
            }
            else if (y < b.Length && (x == a.Length || lcs[x, y + 1] > lcs[x + 1, y]))
            {
                edits.Add(new Edit('+', x + 1, y + 1, b[y]));
                y++;
            }
            else
            {
                edits.Add(new Edit('-', x + 1, y + 1, a[x]));
                x++;
            }
        }
        return edits;
    }
}
