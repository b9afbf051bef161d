#pragma once
// Curve helpers shared by the ICL curve and the training-loss curve (docs/icl.md): Gaussian
// smoothing over sample index and derivatives on a non-uniform axis.
#include <span>
#include <vector>

namespace cs::analysis {

// Gaussian smoothing over sample index with standard deviation `sigma` samples (kernel cut at
// 4 sigma). Inside the curve this is the plain Gaussian-weighted mean; near the ends, where the
// kernel is one-sided, the value is that of a Gaussian-weighted straight-line fit, so a sloped
// curve is not bent flat at its ends (a plain mean would invent curvature there). Straight lines
// pass unchanged. sigma == 0 returns the input unchanged.
std::vector<double> gaussian_smooth(std::span<const double> y, double sigma);

// The same on an uneven axis: sigma is in units of x.
std::vector<double> gaussian_smooth(std::span<const double> x, std::span<const double> y,
                                    double sigma);

// dy/dx on a strictly increasing, possibly non-uniform x: the derivative of the parabola through
// each point and its two neighbours (second-order accurate, as numpy.gradient with edge_order=2);
// with only two points, the slope of the line through them. Needs at least 2 points.
std::vector<double> derivative(std::span<const double> x, std::span<const double> y);

// d2y/dx2 on the same kind of axis: the second derivative of the parabola through each point and
// its neighbours; an end point takes the value of the parabola through the first (last) three
// points, i.e. that of its neighbour. Needs at least 3 points.
std::vector<double> second_derivative(std::span<const double> x, std::span<const double> y);

}  // namespace cs::analysis
