// Tests run one at a time. TorchSharp 0.107 builds a temporary Scalar for every "tensor op number" expression;
// with two test workers allocating in parallel, a garbage collection can finalize such a Scalar while libtorch is
// still reading it, and the op then fails with "Unknown scalar type" / "Expected false to be true" (seen twice in
// CI-like runs, and in a long single-process training run). One worker makes that window far rarer.
[assembly: Microsoft.VisualStudio.TestTools.UnitTesting.DoNotParallelize]
