using Serverless.Functions.Webhook;
using Serverless.Lambda;

// The pod readiness-gate webhook: AdmissionReviews from the API server through a Lambda Function URL. Reads
// TargetGroupBindings and Services (EKS token), answers a JSON Patch; the connection is built once per container.
return await LambdaRuntime.RunProcessAsync(ReadinessGateWebhookFunction.Create);
