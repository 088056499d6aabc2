using k8s.Models;
using Serverless.Kubernetes.Manifests;

namespace Serverless.Kubernetes.Tests;

public sealed class AnnotationWarningsTests
{
    private static V1Ingress Ingress(params string[] keys) => new()
    {
        Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "shop", Annotations = keys.ToDictionary(k => k, _ => "x") },
    };

    [Fact]
    public void Applied_annotations_families_and_foreign_prefixes_are_not_warned_about()
    {
        var ingress = Ingress(
            "alb.ingress.kubernetes.io/scheme", "alb.ingress.kubernetes.io/healthcheck-path", "alb.ingress.kubernetes.io/wafv2-acl-arn", "alb.ingress.kubernetes.io/wafv2-acl-name",
            "alb.ingress.kubernetes.io/actions.blue-green", "alb.ingress.kubernetes.io/conditions.web", "alb.ingress.kubernetes.io/listener-attributes.HTTPS-443",
            "alb.ingress.kubernetes.io/dry-run-plan", "kubernetes.io/ingress.class", "nginx.ingress.kubernetes.io/rewrite-target");

        Assert.Empty(AnnotationWarnings.Of(ingress));
    }

    [Fact]
    public void Not_applied_unsupported_and_unknown_annotations_each_get_their_own_message()
    {
        var warnings = AnnotationWarnings.Of(Ingress(
            "alb.ingress.kubernetes.io/shield-advanced-protection", "alb.ingress.kubernetes.io/waf-acl-id",
            "alb.ingress.kubernetes.io/frontend-nlb-scheme", "alb.ingress.kubernetes.io/sslredirect",
            "alb.ingress.kubernetes.io/completely-made-up", "alb.ingress.kubernetes.io/actions."));

        Assert.Equal(
            [
                ("alb.ingress.kubernetes.io/actions.", "is not an AWS Load Balancer Controller annotation and is ignored"),
                ("alb.ingress.kubernetes.io/completely-made-up", "is not an AWS Load Balancer Controller annotation and is ignored"),
                ("alb.ingress.kubernetes.io/frontend-nlb-scheme", "(frontend-nlb-*) is not supported by this controller and is ignored"),
                ("alb.ingress.kubernetes.io/shield-advanced-protection", "is not applied by this controller yet: no Shield Advanced protection is created or removed"),
                ("alb.ingress.kubernetes.io/sslredirect", "is not an AWS Load Balancer Controller annotation and is ignored (did you mean alb.ingress.kubernetes.io/ssl-redirect?)"),
                ("alb.ingress.kubernetes.io/waf-acl-id", "(WAF Classic) is not supported by this controller and is ignored: use wafv2-acl-arn"),
            ],
            warnings.Select(static w => (w.Annotation, w.Message)));
    }

    [Fact]
    public void Manifests_report_the_warning_with_file_line_and_field_and_still_load()
    {
        var set = ManifestLoader.LoadText("""
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata:
              name: web
              namespace: shop
              annotations:
                alb.ingress.kubernetes.io/scheme: internet-facing
                alb.ingress.kubernetes.io/healthcheck-pathh: /healthz
            spec:
              ingressClassName: alb
              defaultBackend:
                service: {name: web, port: {number: 80}}
            """, "web.yaml");

        Assert.True(set.IsValid, string.Join("\n", set.Errors));
        Assert.Single(set.Ingresses);
        var warning = Assert.Single(set.Warnings);
        Assert.Contains("web.yaml", warning, StringComparison.Ordinal);
        Assert.True(warning.Contains("line 8", StringComparison.Ordinal), warning);
        Assert.Contains("metadata.annotations[\"alb.ingress.kubernetes.io/healthcheck-pathh\"]", warning, StringComparison.Ordinal);
        Assert.Contains("did you mean alb.ingress.kubernetes.io/healthcheck-path?", warning, StringComparison.Ordinal);
    }

    private static V1Service Service(params string[] keys) => new()
    {
        Metadata = new V1ObjectMeta { Name = "api", NamespaceProperty = "shop", Annotations = keys.ToDictionary(k => k, _ => "x") },
    };

    [Fact]
    public void A_Service_may_carry_the_target_group_health_check_and_auth_annotations()
    {
        var service = Service(
            "alb.ingress.kubernetes.io/target-type", "alb.ingress.kubernetes.io/healthcheck-path", "alb.ingress.kubernetes.io/success-codes",
            "alb.ingress.kubernetes.io/auth-type", "alb.ingress.kubernetes.io/target-group-attributes", "alb.ingress.kubernetes.io/tags",
            "service.beta.kubernetes.io/aws-load-balancer-type");

        Assert.Empty(AnnotationWarnings.OfService(service));
    }

    [Fact]
    public void Ingress_only_keys_and_typos_on_a_Service_are_warned_about_with_a_suggestion()
    {
        var warnings = AnnotationWarnings.OfService(Service(
            "alb.ingress.kubernetes.io/scheme", "alb.ingress.kubernetes.io/actions.blue", "alb.ingress.kubernetes.io/healtcheck-path",
            "alb.ingress.kubernetes.io/waf-acl-id"));

        Assert.Equal(
            [
                ("alb.ingress.kubernetes.io/actions.blue", "is read only from an Ingress (or its IngressClassParams), not from a Service, and is ignored here: set it on the Ingress"),
                ("alb.ingress.kubernetes.io/healtcheck-path", "is not an AWS Load Balancer Controller annotation and is ignored (did you mean alb.ingress.kubernetes.io/healthcheck-path?)"),
                ("alb.ingress.kubernetes.io/scheme", "is read only from an Ingress (or its IngressClassParams), not from a Service, and is ignored here: set it on the Ingress"),
                ("alb.ingress.kubernetes.io/waf-acl-id", "(WAF Classic) is not supported by this controller and is ignored: use wafv2-acl-arn"),
            ],
            warnings.Select(static w => (w.Annotation, w.Message)));
    }

    [Fact]
    public void Manifests_report_a_Service_warning_with_file_line_and_field()
    {
        var set = ManifestLoader.LoadText("""
            apiVersion: v1
            kind: Service
            metadata:
              name: api
              namespace: shop
              annotations:
                alb.ingress.kubernetes.io/healthcheck-path: /healthz
                alb.ingress.kubernetes.io/listen-ports: '[{"HTTP": 8080}]'
            spec:
              type: NodePort
              ports: [{name: http, port: 80, targetPort: 8080}]
            """, "api.yaml");

        Assert.True(set.IsValid, string.Join("\n", set.Errors));
        Assert.Single(set.Services);
        var warning = Assert.Single(set.Warnings);
        Assert.Contains("api.yaml", warning, StringComparison.Ordinal);
        Assert.True(warning.Contains("line 8", StringComparison.Ordinal), warning);
        Assert.Contains("metadata.annotations[\"alb.ingress.kubernetes.io/listen-ports\"]", warning, StringComparison.Ordinal);
        Assert.Contains("not from a Service", warning, StringComparison.Ordinal);
    }
}
