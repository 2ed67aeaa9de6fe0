import numpy as np
from neural_network import conv2d

# A 4x4 image with a brighter square in the middle, and a 2x2 averaging filter
image = np.array([[1, 1, 1, 1], [1, 2, 2, 1], [1, 2, 2, 1], [1, 1, 1, 1]])
kernel = np.array([[0.25, 0.25], [0.25, 0.25]])

feature_map = conv2d(image, kernel, stride=1)
print("Input Image (4x4):\n", image)
print("Filter (2x2):\n", kernel)
print("Output Feature Map:\n", feature_map)
print("Output Shape:", feature_map.shape)
