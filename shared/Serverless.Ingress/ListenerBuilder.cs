using System.Globalization;
using Serverless.Model;

namespace Serverless.Ingress;

/// <summary>Upstream's listeners (<c>model_build_listener.go</c>) and ssl-redirect (<c>buildSSLRedirectConfig</c>).</summary>
internal static class ListenerBuilder
{
    /// <summary>
    /// The problems of the group's listeners that a merge cannot see: an HTTPS listener without any certificate in the
    /// group (blamed on every member asking for it), and an <c>ssl-redirect</c> port that is not an HTTPS listener
    /// (blamed on every member setting it).
    /// </summary>
    /// <remarks>
    /// A member without <c>certificate-arn</c> has its certificates discovered by host (<see cref="CertificateDiscovery"/>);
    /// a port is left without any only when no member on it names a certificate and none has a host to discover one
    /// for (upstream would create the listener and fail at AWS).
    /// </remarks>
    public static Dictionary<MemberConfig, List<BuildError>> Validate(MergedSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var errors = new Dictionary<MemberConfig, List<BuildError>>();
        foreach (var port in settings.Ports.Values.Where(static p => p.Protocol == "HTTPS" && p.Certificates.Count == 0))
        {
            foreach (var member in port.Members)
            {
                var listen = member.Ports[port.Port];
                Add(errors, member, new BuildError(member.Member.Description, listen.Field, listen.Display, string.Create(CultureInfo.InvariantCulture,
                    $"the HTTPS listener on port {port.Port} has no certificate: set alb.ingress.kubernetes.io/certificate-arn, or give the Ingress a host (spec.tls[].hosts or spec.rules[].host) to discover an ACM certificate for")));
            }
        }
        if (settings.SslRedirectPort is { } redirect)
        {
            string? problem = null;
            if (!settings.Ports.TryGetValue(redirect, out var target))
                problem = string.Create(CultureInfo.InvariantCulture, $"listener does not exist for SSLRedirect port: {redirect}");
            else if (target.Protocol != "HTTPS")
                problem = string.Create(CultureInfo.InvariantCulture, $"listener protocol non-SSL for SSLRedirect port: {redirect}");
            if (problem is not null)
            {
                foreach (var member in settings.Members.Where(static m => m.SslRedirectPort is not null))
                    Add(errors, member, new BuildError(member.Member.Description, member.SslRedirectPort!.Field, member.SslRedirectPort.Display, problem));
            }
        }
        return errors;
    }

    /// <summary>The listeners, by port.</summary>
    public static List<ListenerSpec> Build(BuildContext context, MergedSettings settings)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(settings);
        var listeners = new List<ListenerSpec>();
        foreach (var port in settings.Ports.Values)
        {
            listeners.Add(new ListenerSpec
            {
                Port = port.Port,
                Protocol = port.Protocol,
                Certificates = port.Certificates,
                SslPolicy = port.SslPolicy,
                DefaultActions = DefaultActions(settings, port),
                Attributes = new SortedDictionary<string, string>(port.Attributes.ToDictionary(), StringComparer.Ordinal),
                Tags = context.Tags(ResourceIds.Listener(port.Port), port.Tags),
            });
        }
        return listeners;
    }

    /// <summary>True when the listener on <paramref name="port"/> carries no rules: HTTP while ssl-redirect is set.</summary>
    public static bool Redirects(MergedSettings settings, MergedPort port)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(port);
        return settings.SslRedirectPort is not null && port.Protocol == "HTTP";
    }

    /// <summary>ssl-redirect on HTTP listeners; else the one default backend on this port; else a fixed 404.</summary>
    private static IReadOnlyList<ActionSpec> DefaultActions(MergedSettings settings, MergedPort port)
    {
        if (Redirects(settings, port))
        {
            return [new ActionSpec
            {
                Type = "redirect",
                Redirect = new RedirectActionSpec
                {
                    Protocol = "HTTPS",
                    Port = settings.SslRedirectPort!.Value.ToString(CultureInfo.InvariantCulture),
                    StatusCode = "HTTP_301",
                },
            }];
        }
        if (port.DefaultBackendOwner?.Rules.DefaultActionsByPort.TryGetValue(port.Port, out var actions) == true && actions.Count > 0)
            return actions;
        return [new ActionSpec
        {
            Type = "fixed-response",
            FixedResponse = new FixedResponseActionSpec { StatusCode = "404", ContentType = "text/plain" },
        }];
    }

    private static void Add(Dictionary<MemberConfig, List<BuildError>> errors, MemberConfig member, BuildError error)
    {
        if (!errors.TryGetValue(member, out var list))
            errors[member] = list = [];
        list.Add(error);
    }
}
