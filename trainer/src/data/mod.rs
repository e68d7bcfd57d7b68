//! Fashion-MNIST / MNIST loading (owned by the data work: see DATA API below).
