// Tensor engine: float32 tensors, kernels on OpenBLAS, autograd, layers, optimizers.
