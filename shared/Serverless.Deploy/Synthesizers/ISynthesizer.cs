namespace Serverless.Deploy.Synthesizers;

/// <summary>
/// One kind of resource: <see cref="SynthesizeAsync"/> creates and modifies (in the fixed order security groups →
/// target groups → targets → load balancer → listeners → rules → web ACL association), <see cref="PostSynthesizeAsync"/> deletes (in reverse,
/// after everything that could still reference the deleted resources has been changed).
/// </summary>
internal interface ISynthesizer
{
    Task SynthesizeAsync(CancellationToken ct);

    Task PostSynthesizeAsync(CancellationToken ct);
}
