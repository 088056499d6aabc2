namespace Serverless.Functions;

/// <summary>Queue address helpers.</summary>
public static class SqsQueues
{
    /// <summary>
    /// The queue URL for a queue ARN (<c>arn:aws:sqs:&lt;region&gt;:&lt;account&gt;:&lt;name&gt;</c> →
    /// <c>https://sqs.&lt;region&gt;.amazonaws.com/&lt;account&gt;/&lt;name&gt;</c>), or null when it is not one.
    /// </summary>
    public static string? UrlFromArn(string? arn)
    {
        var parts = arn?.Split(':');
        if (parts is not { Length: 6 } || parts[0] != "arn" || parts[2] != "sqs")
            return null;
        var suffix = parts[1] == "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
        return $"https://sqs.{parts[3]}.{suffix}/{parts[4]}/{parts[5]}";
    }
}
