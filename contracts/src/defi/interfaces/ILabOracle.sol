// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ILabOracle
/// @notice The price the lending market liquidates at: token0 (collateral) priced in token1 (debt), WAD. Either the
///         AdaptivePool's TWAP (the last completed window's `twapPrice`) or an external feed that a feeder pushes
///         (scenarios drive the "fundamental" price through it). Governance picks the source.
interface ILabOracle {
    /// @notice Where `price()` comes from.
    enum Source {
        Feed,
        Pool
    }

    /// @notice The feeder pushed a new external price.
    event FeedPriceSet(uint256 price, uint64 updatedAt);
    /// @notice Governance switched the source.
    event SourceSet(Source source);
    /// @notice Governance replaced the feeder.
    event FeederSet(address indexed feeder);

    /// @notice The selected source has no price yet (feed never set, or the pool's TWAP is still zero).
    error OracleUnavailable();
    /// @notice Only the feeder may push the external price.
    error NotFeeder(address caller);
    /// @notice A pushed price must be positive.
    error InvalidPrice();

    /// @notice Price of one token0 in token1, WAD; reverts `OracleUnavailable` when the source has none.
    function price() external view returns (uint256);

    /// @notice The external feed's last price and when it was pushed.
    function feed() external view returns (uint256 price, uint64 updatedAt);

    /// @notice The selected source.
    function source() external view returns (Source);

    /// @notice Feeder: pushes the external price (WAD, > 0).
    function setFeedPrice(uint256 price) external;

    /// @notice Governance: selects the source.
    function setSource(Source source) external;

    /// @notice Governance: replaces the feeder.
    function setFeeder(address feeder) external;
}
