using System.Globalization;

namespace Serverless.Cli.Tests;

/// <summary>Ingresses for the runner's tests: an internet-facing Ingress of class <c>alb</c> with one of a few bodies.</summary>
internal static class TestIngresses
{
    // The Ingress up to its annotations; {0} is its name, {1} more annotation lines.
    private const string Header = """
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: {0}
          namespace: default
          annotations:
            alb.ingress.kubernetes.io/scheme: internet-facing
        {1}
        """;

    /// <summary>A redirect (<c>actions.to-example</c>) as the only backend: no target group.</summary>
    public static readonly string RedirectOnly = """
            alb.ingress.kubernetes.io/actions.to-example: >
              {"type":"redirect","redirectConfig":{"host":"example.com","port":"443","protocol":"HTTPS","statusCode":"HTTP_301"}}

        """ + OnePath("to-example", "name: use-annotation");

    /// <summary>A fixed response (an <c>actions.*</c> annotation) as the only backend: no target group.</summary>
    public static readonly string FixedResponseOnly = """
            alb.ingress.kubernetes.io/actions.maintenance: >
              {"type":"fixed-response","fixedResponseConfig":{"contentType":"text/plain","statusCode":"503","messageBody":"down for maintenance"}}

        """ + OnePath("maintenance", "name: use-annotation");

    /// <summary>No rules: the listener's default action only.</summary>
    public const string NoRules = """
        spec:
          ingressClassName: alb
        """;

    // A spec with one path, / (Prefix), to the backend service and port given.
    private static string OnePath(string service, string port) => $"""
        spec:
          ingressClassName: alb
          rules:
            - http:
                paths:
                  - path: /
                    pathType: Prefix
                    backend:
                      service:
                        name: {service}
                        port:
                          {port}
        """;

    /// <summary>The Ingress <c>default/<paramref name="name"/></c> with <paramref name="body"/> and more annotation lines.</summary>
    public static string Ingress(string name, string body, params string[] annotations) =>
        string.Format(CultureInfo.InvariantCulture, Header, name, string.Concat(annotations.Select(static a => "    " + a + "\n"))) + body + "\n";
}
