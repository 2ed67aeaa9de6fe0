import numpy as np
from neural_network import conv2d

image = np.array([[1, 1, 1, 1], [1, 2, 2, 1], [1, 2, 2, 1], [1, 1, 1, 1]])
kernel = np.array([[0.25, 0.25], [0.25, 0.25]])

# The same filter, moving two pixels at a time
feature_map = conv2d(image, kernel, stride=2)
print("Input Image (4x4):\n", image)
print("Output Feature Map (stride=2):\n", feature_map)
print("Output Shape:", feature_map.shape)
