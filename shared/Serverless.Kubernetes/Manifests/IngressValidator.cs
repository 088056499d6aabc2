using k8s.Models;
using YamlDotNet.RepresentationModel;

namespace Serverless.Kubernetes.Manifests;

/// <summary>
/// The checks the API server makes on the Ingress fields the model builder relies on: every path has a known
/// <c>pathType</c> and an absolute path, every backend names a Service and exactly one port (number or name).
/// </summary>
internal static class IngressValidator
{
    private static readonly string[] PathTypes = ["Exact", "Prefix", "ImplementationSpecific"];

    public static void Validate(V1Ingress ingress, YamlObjectReader reader, Func<string, YamlNode> locate)
    {
        if (ingress.Spec is not { } spec)
            return;
        if (spec.DefaultBackend is { } defaultBackend)
            Backend(defaultBackend, "spec.defaultBackend", reader, locate);
        for (var r = 0; r < (spec.Rules?.Count ?? 0); r++)
        {
            var rule = spec.Rules![r];
            var rulePath = $"spec.rules[{r}]";
            if (rule?.Http is not { } http)
                continue;
            if (http.Paths is not { Count: > 0 })
            {
                Report(reader, locate, rulePath + ".http.paths", "must list at least one path");
                continue;
            }
            for (var i = 0; i < http.Paths.Count; i++)
            {
                var path = http.Paths[i];
                var pathPath = $"{rulePath}.http.paths[{i}]";
                if (path is null)
                {
                    Report(reader, locate, pathPath, "must not be null");
                    continue;
                }
                if (path.PathType is null)
                    Report(reader, locate, pathPath + ".pathType", $"required ({YamlObjectReader.Alternatives(PathTypes)})");
                else if (!PathTypes.Contains(path.PathType, StringComparer.Ordinal))
                    Report(reader, locate, pathPath + ".pathType", $"unknown value \"{path.PathType}\" (expected {YamlObjectReader.Alternatives(PathTypes)})");

                if (string.IsNullOrEmpty(path.Path))
                {
                    if (path.PathType is "Exact" or "Prefix")
                        Report(reader, locate, pathPath + ".path", $"required with pathType {path.PathType}");
                }
                else if (!path.Path.StartsWith('/'))
                {
                    Report(reader, locate, pathPath + ".path", $"\"{path.Path}\" must be an absolute path (start with /)");
                }

                if (path.Backend is null)
                    Report(reader, locate, pathPath + ".backend", "required");
                else
                    Backend(path.Backend, pathPath + ".backend", reader, locate);
            }
        }
    }

    private static void Backend(V1IngressBackend backend, string path, YamlObjectReader reader, Func<string, YamlNode> locate)
    {
        if (backend.Service is null && backend.Resource is null)
        {
            Report(reader, locate, path, "must set service (name and port)");
            return;
        }
        if (backend.Service is not null && backend.Resource is not null)
            Report(reader, locate, path, "must set only one of service and resource");
        if (backend.Service is not { } service)
            return;
        if (string.IsNullOrEmpty(service.Name))
            Report(reader, locate, path + ".service.name", "required");
        var port = service.Port;
        var hasNumber = port?.Number is not null;
        var hasName = !string.IsNullOrEmpty(port?.Name);
        if (!hasNumber && !hasName)
            Report(reader, locate, path + ".service.port", "must set number or name");
        else if (hasNumber && hasName)
            Report(reader, locate, path + ".service.port", "must set only one of number and name");
        else if (hasNumber && port!.Number is < 1 or > 65535)
            Report(reader, locate, path + ".service.port.number", $"{port.Number} is not a port number (1-65535)");
    }

    private static void Report(YamlObjectReader reader, Func<string, YamlNode> locate, string path, string message) =>
        reader.Report(locate(path), path, message);
}
