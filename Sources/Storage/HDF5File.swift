// HDF5 storage.
