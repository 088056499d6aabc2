using System.Text;
using Serverless.Kubernetes.Manifests;
using Serverless.Model;

namespace Serverless.Ingress.Tests.Manifests;

public sealed class ManifestLoaderTests
{
    private const string Everything = """
        # every kind the controller reads, and two it does not
        apiVersion: v1
        kind: Namespace
        metadata:
          name: team-a
          labels:
            team: a
            tier: 1
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: echo
          annotations:
            alb.ingress.kubernetes.io/scheme: internet-facing
            alb.ingress.kubernetes.io/group.order: "10"
          finalizers: [ingress.k8s.aws/resources]
          deletionTimestamp: "2024-05-01T12:00:00Z"
        spec:
          ingressClassName: alb
          defaultBackend:
            service: {name: fallback, port: {name: http}}
          tls:
            - hosts: [echo.example.com]
          rules:
            - host: echo.example.com
              http:
                paths:
                  - path: /
                    pathType: Prefix
                    backend:
                      service:
                        name: echo
                        port:
                          number: 80
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: echo, namespace: team-a, uid: 5e1c-0001}
        spec:
          type: NodePort
          selector: {app: echo}
          ports:
            - {name: http, port: 80, targetPort: http, nodePort: 30080, protocol: TCP}
            - {name: metrics, port: 9090, targetPort: 9090}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: echo-abc12
          namespace: team-a
          labels: {kubernetes.io/service-name: echo}
        addressType: IPv4
        ports: [{name: http, port: 8080, protocol: TCP}]
        endpoints:
          - addresses: [10.0.1.10]
            conditions: {ready: true, serving: true, terminating: false}
            nodeName: ip-10-0-1-10.ec2.internal
            zone: us-east-1a
        ---
        apiVersion: networking.k8s.io/v1
        kind: IngressClass
        metadata:
          name: alb
          annotations: {ingressclass.kubernetes.io/is-default-class: "true"}
        spec:
          controller: ingress.k8s.aws/alb
          parameters: {apiGroup: elbv2.k8s.aws, kind: IngressClassParams, name: alb-params}
        ---
        apiVersion: elbv2.k8s.aws/v1beta1
        kind: IngressClassParams
        metadata:
          name: alb-params
        spec:
          namespaceSelector:
            matchLabels: {team: a}
            matchExpressions:
              - {key: tier, operator: In, values: ["1", "2"]}
              - {key: legacy, operator: DoesNotExist}
          group: {name: shared}
          scheme: internal
          ipAddressType: dualstack
          loadBalancerName: shared-alb
          inboundCIDRs: [10.0.0.0/8]
          prefixListsIDs: [pl-00000001]
          sslPolicy: ELBSecurityPolicy-TLS13-1-2-2021-06
          sslRedirectPort: "443"
          certificateArn: [arn:aws:acm:us-east-1:111122223333:certificate/one]
          subnets:
            tags:
              kubernetes.io/role/internal-elb: ["1", ""]
          targetType: ip
          tags:
            - {key: team, value: a}
            - {key: cost-center, value: "1234"}
          loadBalancerAttributes:
            - {key: idle_timeout.timeout_seconds, value: "120"}
          listeners:
            - protocol: HTTPS
              port: 443
              listenerAttributes:
                - {key: routing.http.response.server.enabled, value: "false"}
          minimumLoadBalancerCapacity: {capacityUnits: 100}
          ipamConfiguration: {ipv4IPAMPoolId: ipam-pool-0123}
          wafv2AclArn: arn:aws:wafv2:us-east-1:111122223333:regional/webacl/a/1
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: oidc, namespace: team-a}
        type: Opaque
        data:
          clientID: Y2xpZW50LWlk
        stringData:
          clientSecret: s3cr3t
        ---
        apiVersion: v1
        kind: Node
        metadata:
          name: ip-10-0-1-10.ec2.internal
          labels: {topology.kubernetes.io/zone: us-east-1a}
        spec:
          providerID: aws:///us-east-1a/i-0aaa1111111111111
          taints: [{key: ToBeDeletedByClusterAutoscaler, value: "1700000000", effect: NoSchedule}]
        status:
          conditions: [{type: Ready, status: "True"}]
          capacity: {cpu: "2", memory: 8Gi, pods: "29"}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: echo, namespace: team-a}
        spec: {replicas: 2}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: settings}
        data: {a: b}
        """;

    [Fact]
    public void Loads_every_kind_the_controller_uses_and_skips_the_rest()
    {
        var set = ManifestLoader.LoadText(Everything, "all.yaml");

        Assert.Empty(set.Errors);
        var ingress = Assert.Single(set.Ingresses);
        Assert.Equal("default", ingress.Metadata.NamespaceProperty);
        Assert.Equal("10", ingress.Metadata.Annotations["alb.ingress.kubernetes.io/group.order"]);
        Assert.NotNull(ingress.Metadata.DeletionTimestamp);
        Assert.Equal("Prefix", ingress.Spec.Rules[0].Http.Paths[0].PathType);
        Assert.Equal(80, ingress.Spec.Rules[0].Http.Paths[0].Backend.Service.Port.Number);
        Assert.Equal("http", ingress.Spec.DefaultBackend.Service.Port.Name);

        var service = Assert.Single(set.Services);
        Assert.Equal("team-a", service.Metadata.NamespaceProperty);
        Assert.Equal("http", service.Spec.Ports[0].TargetPort.Value);
        Assert.Equal("9090", service.Spec.Ports[1].TargetPort.Value);
        Assert.Equal(30080, service.Spec.Ports[0].NodePort);

        var slice = Assert.Single(set.EndpointSlices);
        Assert.True(slice.Endpoints[0].Conditions.Ready);
        Assert.Equal(8080, slice.Ports[0].Port);

        Assert.Equal("ingress.k8s.aws/alb", Assert.Single(set.IngressClasses).Spec.Controller);
        Assert.Equal("1", Assert.Single(set.Namespaces).Metadata.Labels["tier"]); // a plain 1 in a label map is a string

        var secret = Assert.Single(set.Secrets);
        Assert.Equal("client-id", Encoding.UTF8.GetString(secret.Data["clientID"]));
        Assert.Equal("s3cr3t", Encoding.UTF8.GetString(secret.Data["clientSecret"]));

        var node = Assert.Single(set.Nodes);
        Assert.Equal("aws:///us-east-1a/i-0aaa1111111111111", node.Spec.ProviderID);
        Assert.Equal("ToBeDeletedByClusterAutoscaler", node.Spec.Taints[0].Key);

        Assert.Equal(["Deployment", "ConfigMap"], set.Skipped.Select(static d => d.Kind));
        Assert.Equal(10, set.Documents.Count);
    }

    [Fact]
    public void Parses_IngressClassParams_by_hand()
    {
        var set = ManifestLoader.LoadText(Everything, "all.yaml");
        var p = Assert.Single(set.IngressClassParams);

        Assert.Equal("alb-params", p.Name);
        Assert.Equal("shared", p.GroupName);
        Assert.Equal("internal", p.Scheme);
        Assert.Equal("dualstack", p.IpAddressType);
        Assert.Equal("shared-alb", p.LoadBalancerName);
        Assert.Equal(["10.0.0.0/8"], p.InboundCidrs);
        Assert.Equal(["pl-00000001"], p.PrefixListIds);
        Assert.Equal("ELBSecurityPolicy-TLS13-1-2-2021-06", p.SslPolicy);
        Assert.Equal("443", p.SslRedirectPort);
        Assert.Equal(["arn:aws:acm:us-east-1:111122223333:certificate/one"], p.CertificateArns);
        Assert.Null(p.Subnets!.Ids);
        Assert.Equal(["1", ""], p.Subnets.Tags!["kubernetes.io/role/internal-elb"]);
        Assert.Equal("ip", p.TargetType);
        Assert.Equal([new("team", "a"), new("cost-center", "1234")], p.Tags!);
        Assert.Equal([new("idle_timeout.timeout_seconds", "120")], p.LoadBalancerAttributes!);
        var listener = Assert.Single(p.Listeners!);
        Assert.Equal(("HTTPS", 443), (listener.Protocol, listener.Port));
        Assert.Equal([new("routing.http.response.server.enabled", "false")], listener.ListenerAttributes);
        Assert.Equal(100, p.MinimumCapacityUnits);
        Assert.Equal("ipam-pool-0123", p.Ipv4IpamPoolId);
        Assert.Equal("arn:aws:wafv2:us-east-1:111122223333:regional/webacl/a/1", p.Wafv2AclArn);

        var selector = p.NamespaceSelector!;
        Assert.Equal("a", selector.MatchLabels["team"]);
        Assert.True(selector.Matches(new Dictionary<string, string> { ["team"] = "a", ["tier"] = "1" }));
        Assert.False(selector.Matches(new Dictionary<string, string> { ["team"] = "a", ["tier"] = "3" }));
        Assert.False(selector.Matches(new Dictionary<string, string> { ["team"] = "a", ["tier"] = "1", ["legacy"] = "y" }));
    }

    [Fact]
    public void An_unknown_path_type_names_file_document_object_line_field_and_value()
    {
        const string yaml = """
            apiVersion: v1
            kind: Service
            metadata: {name: echo}
            spec: {ports: [{port: 80}]}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: x}
            ---
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata:
              name: echo
              namespace: default
            spec:
              rules:
                - http:
                    paths:
                      - path: /
                        pathType: Foo
                        backend: {service: {name: echo, port: {number: 80}}}
            """;

        var error = Assert.Single(ManifestLoader.LoadText(yaml, "examples/echo.yaml").Errors);

        Assert.Equal(
            "examples/echo.yaml document 3 (Ingress default/echo), line 20 col 23: spec.rules[0].http.paths[0].pathType: unknown value \"Foo\" (expected Exact, Prefix or ImplementationSpecific)",
            error.ToString());
        Assert.Equal(("examples/echo.yaml", 3, 20, 23), (error.Source, error.Document, error.Line, error.Column));
    }

    [Fact]
    public void Collects_every_error_not_just_the_first()
    {
        const string yaml = """
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata: {name: a}
            spec:
              rules:
                - http:
                    paths:
                      - path: api
                        pathType: Prefix
                        backend: {service: {name: api}}
                      - path: /x
                        pathtype: Exact
                        backend: {service: {port: {number: 70000}}}
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: broken
             spec: {}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: ok}
            spec:
              ports:
                - port: "80"
                  nodePort: abc
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: unclosed
            """;

        var errors = ManifestLoader.LoadText(yaml, "many.yaml").Errors.Select(static e => e.ToString()).ToList();

        Assert.Equal(
            [
                "many.yaml document 1 (Ingress default/a), line 12 col 13: spec.rules[0].http.paths[1].pathtype: unknown field (did you mean \"pathType\"?)",
                "many.yaml document 1 (Ingress default/a), line 8 col 19: spec.rules[0].http.paths[0].path: \"api\" must be an absolute path (start with /)",
                "many.yaml document 1 (Ingress default/a), line 10 col 32: spec.rules[0].http.paths[0].backend.service.port: must set number or name",
                "many.yaml document 1 (Ingress default/a), line 11 col 13: spec.rules[0].http.paths[1].pathType: required (Exact, Prefix or ImplementationSpecific)",
                "many.yaml document 1 (Ingress default/a), line 13 col 32: spec.rules[0].http.paths[1].backend.service.name: required",
                "many.yaml document 1 (Ingress default/a), line 13 col 48: spec.rules[0].http.paths[1].backend.service.port.number: 70000 is not a port number (1-65535)",
                "many.yaml document 2, line 19 col 2: YAML syntax error: While parsing a block mapping, did not find expected key.",
                "many.yaml document 3 (Service default/ok), line 26 col 13: spec.ports[0].port: expected an integer, got the quoted string \"80\" (remove the quotes)",
                "many.yaml document 3 (Service default/ok), line 27 col 17: spec.ports[0].nodePort: expected an integer, got \"abc\"",
                "many.yaml document 4, line 32 col 1: YAML syntax error: While parsing a flow mapping, did not find expected ',' or '}'.",
            ],
            errors);
    }

    [Fact]
    public void The_first_error_of_one_document_does_not_hide_the_others_nor_the_valid_objects()
    {
        const string yaml = """
            apiVersion: v1
            kind: Service
            metadata: {name: a}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: b, labels: [x]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: c}
            """;

        var set = ManifestLoader.LoadText(yaml, "s.yaml");

        Assert.Equal(["a", "c"], set.Services.Select(static s => s.Metadata.Name));
        Assert.Equal("s.yaml document 2 (Service default/b), line 7 col 29: metadata.labels: expected a mapping, got a list", Assert.Single(set.Errors).ToString());
        Assert.Throws<ManifestException>(() => set.EnsureValid());
    }

    [Fact]
    public void A_parser_failure_inside_an_unclosed_flow_mapping_is_a_syntax_error_of_its_document()
    {
        const string yaml = """
            apiVersion: v1
            kind: Service
            metadata: {name: broken
            spec: {}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: fine}
            """;

        var set = ManifestLoader.LoadText(yaml, "u.yaml");

        var error = Assert.Single(set.Errors);
        Assert.Equal((1, 1), (error.Document, error.Line));
        Assert.StartsWith("YAML syntax error", error.Message, StringComparison.Ordinal);
        Assert.Equal("fine", Assert.Single(set.Services).Metadata.Name);
    }

    [Fact]
    public void IngressClassParams_problems_are_reported_with_their_field()
    {
        const string yaml = """
            apiVersion: elbv2.k8s.aws/v1beta1
            kind: IngressClassParams
            metadata: {name: p}
            spec:
              scheme: public
              subnets:
                ids: [subnet-0abc, net-1]
                tags: {Name: [a]}
              targetTyp: ip
              listeners:
                - {protocol: TCP, port: 443}
              namespaceSelector:
                matchExpressions:
                  - {key: team, operator: In}
              wafv2AclName: my-acl
            """;

        var set = ManifestLoader.LoadText(yaml, "p.yaml");

        Assert.Equal(
            [
                "p.yaml document 1 (IngressClassParams p), line 9 col 3: spec.targetTyp: unknown field (did you mean \"targetType\"?)",
                "p.yaml document 1 (IngressClassParams p), line 7 col 5: spec.subnets: exactly one of ids or tags must be set",
                "p.yaml document 1 (IngressClassParams p), line 11 col 18: spec.listeners[0].protocol: unknown value \"TCP\" (expected HTTP or HTTPS)",
                "p.yaml document 1 (IngressClassParams p), line 14 col 9: spec.namespaceSelector.matchExpressions[0].values: must not be empty with operator In",
                "p.yaml document 1 (IngressClassParams p), line 5 col 11: spec.scheme: unknown value \"public\" (expected internal or internet-facing)",
            ],
            set.Errors.Select(static e => e.ToString()).ToList());
        Assert.Empty(set.IngressClassParams);
        Assert.Contains("spec.wafv2AclName: not supported yet", Assert.Single(set.Warnings), StringComparison.Ordinal);
    }

    [Fact]
    public void Other_problems_are_precise_too()
    {
        const string yaml = """
            apiVersion: extensions/v1beta1
            kind: Ingress
            metadata: {name: old}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: twice}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: twice}
            ---
            apiVersion: v1
            kind: Secret
            metadata: {name: s}
            data: {key: "not base64!"}
            ---
            kind: Service
            metadata: {name: x}
            ---
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata: {namespace: a}
            ---
            - just
            - a list
            """;

        var errors = ManifestLoader.LoadText(yaml, "x.yaml").Errors.Select(static e => e.ToString()).ToList();

        Assert.Equal(
            [
                "x.yaml document 1 (Ingress old), line 1 col 13: apiVersion: Ingress extensions/v1beta1 is not supported (expected networking.k8s.io/v1)",
                "x.yaml document 3 (Service default/twice), line 9 col 1: duplicate Service default/twice (first in x.yaml document 2)",
                "x.yaml document 4 (Secret default/s), line 16 col 13: data.key: is not valid base64 (use stringData for plain text)",
                "x.yaml document 5 (Service x), line 18 col 1: apiVersion: required",
                "x.yaml document 6 (Ingress), line 23 col 11: metadata.name: required",
                "x.yaml document 7, line 25 col 1: a Kubernetes object must be a mapping with apiVersion, kind and metadata",
            ],
            errors);
    }

    [Fact]
    public void Loads_a_folder_recursively_in_path_order_and_reports_missing_paths()
    {
        var root = Path.Combine(Path.GetTempPath(), "manifests-" + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "b", "nested"));
            File.WriteAllText(Path.Combine(root, "b", "nested", "z.yml"), "apiVersion: v1\nkind: Service\nmetadata: {name: three}\n");
            File.WriteAllText(Path.Combine(root, "b", "a.yaml"), "---\napiVersion: v1\nkind: Service\nmetadata: {name: two}\n---\n# only a comment\n");
            File.WriteAllText(Path.Combine(root, "a.yaml"), "apiVersion: v1\nkind: Service\nmetadata: {name: one}\n");
            File.WriteAllText(Path.Combine(root, "notes.txt"), "not: yaml: at: all");
            File.WriteAllText(Path.Combine(root, "bad.yaml"), "apiVersion: v1\nkind: Service\nmetadata:\n  name: [\n");

            var set = ManifestLoader.Load([root, Path.Combine(root, "missing")]);

            Assert.Equal(["one", "two", "three"], set.Services.Select(static s => s.Metadata.Name));
            Assert.Equal(2, set.Errors.Count);
            Assert.Equal(Path.Join(root, "bad.yaml"), set.Errors[0].Source);
            Assert.StartsWith("YAML syntax error", set.Errors[0].Message, StringComparison.Ordinal);
            Assert.Equal(Path.Combine(root, "missing") + ": no such file or directory", set.Errors[1].ToString());
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void A_kubectl_List_is_expanded()
    {
        const string yaml = """
            apiVersion: v1
            kind: List
            items:
              - {apiVersion: v1, kind: Service, metadata: {name: a}}
              - {apiVersion: v1, kind: Node, metadata: {name: n1}}
            """;

        var set = ManifestLoader.LoadText(yaml);

        Assert.Empty(set.Errors);
        Assert.Single(set.Services);
        Assert.Single(set.Nodes);
    }

    [Fact]
    public void ToSnapshot_keeps_every_object_and_implies_missing_namespaces()
    {
        var set = ManifestLoader.LoadText(Everything, "all.yaml").EnsureValid();
        var cluster = new ClusterSettings { ClusterName = "prod", VpcId = "vpc-1" };
        var aws = new AwsFacts { VpcCidrs = ["10.0.0.0/16"] };

        var snapshot = set.ToSnapshot(StackId.Parse("default/echo"), cluster, aws);

        Assert.Equal("default/echo", snapshot.Group.ToString());
        Assert.Same(cluster, snapshot.Cluster);
        Assert.Same(aws, snapshot.Aws);
        Assert.Single(snapshot.Ingresses);
        Assert.Single(snapshot.Services);
        Assert.Single(snapshot.EndpointSlices);
        Assert.Single(snapshot.IngressClasses);
        Assert.Single(snapshot.IngressClassParams);
        Assert.Single(snapshot.Secrets);
        Assert.Single(snapshot.Nodes);
        Assert.Equal(["team-a", "default"], snapshot.Namespaces.Select(static n => n.Metadata.Name));
        Assert.Null(snapshot.Namespaces[1].Metadata.Labels);
        Assert.Equal("a", snapshot.Namespaces[0].Metadata.Labels["team"]);
    }
}
