"""Computed, self-verifying bilingual report on torchvision's ResNet18."""
