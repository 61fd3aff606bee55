# small-tensor dispatch in NumPy; `python3 tensor_add.py empty` runs the loop without the op.
import sys
import numpy as np
x = np.ones(10, dtype=np.float32)
y = x
if len(sys.argv) > 1:
    for i in range(1000000):
        pass
else:
    for i in range(1000000):
        y = x + x
print(y.sum())
